package channel_test

import (
	"context"
	"fmt"

	"github.com/kizukai/kizukai/internal/channel"
	"github.com/kizukai/kizukai/internal/channel/channeltest"
)

// A pipeline sends a message, and on failure decides by its class whether
// to retry: an ambiguous failure (the provider may have accepted it) is
// retried only when the provider deduplicates on the message id.
func Example() {
	var s channel.Sender = channeltest.NewRecorder("sms_generic", true)
	s.(*channeltest.Recorder).FailID("msg_01", channeltest.ErrAmbiguous)

	m := channel.Message{
		ID: "msg_01", ShopID: "shp_01", Purpose: "care",
		To:     channel.Recipient{Phone: "+819012345678"},
		Text:   "ひだまり珈琲です。使い心地はいかがですか。配信停止：https://kizukai.example/u/T",
		Sender: channel.Identity{Name: "ひだまり珈琲"},
	}
	for attempt := 1; ; attempt++ {
		_, err := s.Send(context.Background(), m)
		if err == nil {
			fmt.Println("attempt", attempt, "sent")
			break
		}
		fmt.Println("attempt", attempt, channel.ClassOf(err), "retry:", channel.SafeToRetry(s, err))
		if !channel.SafeToRetry(s, err) {
			break
		}
	}
	fmt.Println("deliveries:", s.(*channeltest.Recorder).Deliveries("msg_01"))
	// Output:
	// attempt 1 ambiguous retry: true
	// attempt 2 sent
	// deliveries: 1
}
